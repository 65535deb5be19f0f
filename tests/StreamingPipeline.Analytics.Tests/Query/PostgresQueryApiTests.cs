using System.Text.Json;
using Npgsql;
using StreamingPipeline.Analytics.Query;

namespace StreamingPipeline.Analytics.Tests.Query;

/// <summary>The query API over a real PostgreSQL server the test starts (the kit's <see cref="PostgresServer"/>).</summary>
public sealed class PostgresQueryApiTests(PostgresQueryFixture fixture) : QueryApiContractTests, IClassFixture<PostgresQueryFixture>
{
    protected override bool OwnsStore => false;

    protected override string SlowQuery => "select pg_sleep(60)";

    protected override string WriteStatement => "delete from user_events";

    protected override string FileReadStatement => "select pg_read_file('/etc/passwd')";

    public override Task InitializeAsync()
    {
        Store = fixture.Store;
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_superusers_queries_run_as_the_reader_role_without_file_privileges()
    {
        var role = await Store.ExecuteAsync("select current_user", QueryLimits.Default, CancellationToken.None);
        var copy = await Assert.ThrowsAsync<QueryFailedException>(() =>
            Store.ExecuteAsync("copy (select 1) to program 'touch /tmp/pipeline-query-test'", QueryLimits.Default, CancellationToken.None));
        var largeObject = await Assert.ThrowsAsync<QueryFailedException>(() =>
            Store.ExecuteAsync("select lo_import('/etc/passwd')", QueryLimits.Default, CancellationToken.None));

        Assert.Equal(PostgresQueryStore.ReaderRole, role.Rows.Single()[0]);
        Assert.Equal(QueryErrorCodes.AccessDenied, copy.ErrorCode);
        Assert.Equal(QueryErrorCodes.AccessDenied, largeObject.ErrorCode);
    }

    [Fact]
    public async Task The_planner_knows_how_few_hour_buckets_there_are()
    {
        // The schema's statistics on date_trunc: without them the estimate is one group per distinct timestamp (2,000).
        await using var connection = new NpgsqlConnection(fixture.Server.ConnectionString());
        await connection.OpenAsync();
        await using var explain = connection.CreateCommand();
        explain.CommandText = """explain (format json) select date_trunc('hour', "timestamp"), count(*) from user_events group by 1""";
        using var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!);

        var estimate = plan.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();

        // 2,000 events 7 s apart span 4 hours.
        Assert.InRange(estimate, 1, 20);
    }

    [Fact]
    public async Task A_write_through_a_function_fails_in_the_read_only_transaction()
    {
        await using (var connection = new NpgsqlConnection(fixture.Server.ConnectionString()))
        {
            await connection.OpenAsync();
            await using var create = connection.CreateCommand();
            create.CommandText = """
                CREATE OR REPLACE FUNCTION sneaky_delete() RETURNS bigint LANGUAGE sql AS 'DELETE FROM user_events RETURNING 1; SELECT 1::bigint';
                GRANT EXECUTE ON FUNCTION sneaky_delete() TO PUBLIC;
                """;
            await create.ExecuteNonQueryAsync();
        }

        var failure = await Assert.ThrowsAsync<QueryFailedException>(() => Store.ExecuteAsync("select sneaky_delete()", QueryLimits.Default, CancellationToken.None));
        var count = await Store.ExecuteAsync("select count(*) from user_events", QueryLimits.Default, CancellationToken.None);

        Assert.Equal(QueryErrorCodes.AccessDenied, failure.ErrorCode);
        Assert.Equal((long)QueryTestData.Rows, count.Rows.Single()[0]);
    }
}
