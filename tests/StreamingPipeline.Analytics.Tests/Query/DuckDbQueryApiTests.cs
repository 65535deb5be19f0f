using DuckDB.NET.Data;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Analytics.Schema;

namespace StreamingPipeline.Analytics.Tests.Query;

/// <summary>
/// The query API over DuckDB, hosted as the ingester hosts it: a writer connection keeps the database open in this
/// process and the query store joins the same instance.
/// </summary>
public sealed class DuckDbQueryApiTests : QueryApiContractTests
{
    private readonly TempDirectory _directory = new();
    private DuckDBConnection _writer = null!;

    protected override string SlowQuery => "select sum(a.range * b.range) from range(1000000) a, range(1000000) b";

    protected override string WriteStatement => "delete from user_events";

    protected override string FileReadStatement => "select * from read_csv('/etc/passwd')";

    private string DatabasePath => Path.Combine(_directory.Path, "analytics.duckdb");

    public override async Task InitializeAsync()
    {
        _writer = new DuckDBConnection($"Data Source={DatabasePath}");
        await _writer.OpenAsync();
        await AnalyticsSchema.EnsureAsync(_writer, AnalyticsSchema.DuckDb, CancellationToken.None);
        await using (var insert = _writer.CreateCommand())
        {
            insert.CommandText = QueryTestData.DuckDbInsertSql();
            await insert.ExecuteNonQueryAsync();
        }
        Store = await DuckDbQueryStore.OpenAsync(DatabasePath, readOnly: false, CancellationToken.None);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _writer.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Rows_the_writer_commits_are_visible_to_the_next_query()
    {
        await using (var insert = _writer.CreateCommand())
        {
            insert.CommandText = """
                INSERT INTO user_events VALUES ('6f1d2a34-8f0e-4c55-9a51-0d2f9b1e7a11', 'late-user', 'click', '/', 's', now(), 0, 99999)
                """;
            await insert.ExecuteNonQueryAsync();
        }

        var result = await Store.ExecuteAsync("select count(*) from user_events where userId = 'late-user'", QueryLimits.Default, CancellationToken.None);

        Assert.Equal(1L, result.Rows.Single()[0]);
    }

    [Fact]
    public async Task The_query_connections_cannot_turn_external_access_back_on()
    {
        var failure = await Assert.ThrowsAsync<QueryFailedException>(() =>
            Store.ExecuteAsync("SET enable_external_access = true", QueryLimits.Default, CancellationToken.None));

        Assert.Contains("lock", failure.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_session_refuses_copy_and_attach_that_bypass_the_validator()
    {
        var target = Path.Combine(_directory.Path, "exported.csv");

        await Assert.ThrowsAsync<QueryFailedException>(() => Store.ExecuteAsync($"COPY user_events TO '{target}'", QueryLimits.Default, CancellationToken.None));
        await Assert.ThrowsAsync<QueryFailedException>(() => Store.ExecuteAsync($"ATTACH '{Path.Combine(_directory.Path, "other.duckdb")}' AS other", QueryLimits.Default, CancellationToken.None));

        Assert.False(File.Exists(target));
        Assert.False(File.Exists(Path.Combine(_directory.Path, "other.duckdb")));
    }

    [Fact]
    public async Task A_standalone_store_opens_the_file_read_only()
    {
        await Store.DisposeAsync();
        await _writer.DisposeAsync();
        Store = await DuckDbQueryStore.OpenAsync(DatabasePath, readOnly: true, CancellationToken.None);

        var count = await Store.ExecuteAsync("select count(*) from \"user-events\"", QueryLimits.Default, CancellationToken.None);
        var write = await Assert.ThrowsAsync<QueryFailedException>(() => Store.ExecuteAsync("delete from user_events", QueryLimits.Default, CancellationToken.None));

        Assert.Equal((long)QueryTestData.Rows, count.Rows.Single()[0]);
        Assert.Contains("read-only", write.Message, StringComparison.OrdinalIgnoreCase);
    }
}
