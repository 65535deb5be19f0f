using Npgsql;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Analytics.Schema;

namespace StreamingPipeline.Analytics.Tests.Query;

/// <summary>One real PostgreSQL server for the PostgreSQL query tests, loaded with <see cref="QueryTestData"/>.</summary>
public sealed class PostgresQueryFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public PostgresQueryStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await PostgresServer.StartAsync();
        await using (var connection = new NpgsqlConnection(Server.ConnectionString()))
        {
            await connection.OpenAsync();
            await AnalyticsSchema.EnsureAsync(connection, AnalyticsSchema.Postgres, CancellationToken.None);
            await using var insert = connection.CreateCommand();
            insert.CommandText = QueryTestData.PostgresInsertSql() + "; ANALYZE user_events;";
            await insert.ExecuteNonQueryAsync();
        }
        Store = await PostgresQueryStore.OpenAsync(Server.ConnectionString(), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
