using StreamingPipeline.Analytics.Query;

namespace StreamingPipeline.Analytics.Tests.Query;

public sealed class ReadOnlySqlValidatorTests
{
    [Theory]
    [InlineData("select * from \"user-events\" limit 10")]
    [InlineData("SELECT eventType, count(*) FROM user_events GROUP BY 1;")]
    [InlineData("with t as (select 1 as x) select x from t;;")]
    [InlineData("  -- a comment; with a semicolon\n select 'insert; delete' as s /* drop table */")]
    [InlineData("(select 1) union all (select 2)")]
    [InlineData("from user_events limit 3")]
    [InlineData("select \"update\" from (select 1 as \"update\") t")]
    [InlineData("select E'it\\'s; delete' as s")]
    [InlineData("select $$ ; drop table x $$ as s, $tag$ ; $tag$ as t")]
    [InlineData("select replace(page, '/', '') from user_events")]
    [InlineData("explain select 1")]
    public void Read_only_queries_are_accepted(string sql) => Assert.Null(ReadOnlySqlValidator.Validate(sql));

    [Theory]
    [InlineData("", "empty")]
    [InlineData(" ; ", "empty")]
    [InlineData("select 1; select 2", "one statement")]
    [InlineData("select 1; drop table user_events", "one statement")]
    [InlineData("select 1 /* ; */ ; delete from user_events", "one statement")]
    [InlineData("insert into user_events select * from user_events", "read-only queries")]
    [InlineData("DeLeTe FROM user_events", "read-only queries")]
    [InlineData("with x as (delete from user_events returning *) select * from x", "DELETE")]
    [InlineData("select * into copy_of_events from user_events", "INTO")]
    [InlineData("COPY user_events TO '/tmp/out.csv'", "read-only queries")]
    [InlineData("copy (select 1) to program 'id'", "read-only queries")]
    [InlineData("ATTACH '/tmp/other.duckdb'", "read-only queries")]
    [InlineData("INSTALL httpfs", "read-only queries")]
    [InlineData("load httpfs", "read-only queries")]
    [InlineData("PRAGMA enable_profiling", "read-only queries")]
    [InlineData("set enable_external_access = true", "read-only queries")]
    [InlineData("export database '/tmp/x'", "read-only queries")]
    [InlineData("select * from read_csv('/etc/passwd')", "read_csv")]
    [InlineData("select * from READ_CSV_AUTO ('/etc/passwd')", "read_csv_auto")]
    [InlineData("select * from \"read_parquet\"('/tmp/x.parquet')", "read_parquet")]
    [InlineData("select * from main.read_json /* hidden */ ('/tmp/x.json')", "read_json")]
    [InlineData("select * from glob('/etc/*')", "glob")]
    [InlineData("select * from query('delete from user_events')", "query")]
    [InlineData("select * from '/etc/passwd'", "files")]
    [InlineData("select * from \"/etc/passwd.csv\"", "files")]
    [InlineData("select pg_read_file('/etc/passwd')", "pg_read_file")]
    [InlineData("select pg_catalog.pg_ls_dir('.')", "pg_ls_dir")]
    [InlineData("select lo_import('/etc/passwd')", "lo_import")]
    [InlineData("select * from dblink('host=x', 'select 1') as t(a int)", "dblink")]
    [InlineData("select set_config('transaction_read_only', 'off', true)", "set_config")]
    [InlineData("select 'unterminated", "unterminated")]
    [InlineData("select 1 /* /* nested */ delete */", "nested")]
    [InlineData("select '\\'; delete from user_events; --'", "one statement")]
    public void Writes_file_access_and_multiple_statements_are_refused(string sql, string reason)
    {
        var refusal = ReadOnlySqlValidator.Validate(sql);
        Assert.NotNull(refusal);
        Assert.Contains(reason, refusal, StringComparison.OrdinalIgnoreCase);
    }
}
