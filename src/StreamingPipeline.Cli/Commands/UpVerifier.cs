using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Spectre.Console;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Query;
using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Cli.Commands;

/// <summary>
/// <c>pipeline up --verify</c>: after the generator stopped, waits (up to a deadline) until the store holds the
/// generator's distinct valid events of this run (within <see cref="ExpectedDedupOutput"/>) with no eventId twice, the
/// DLQ holds this run's malformed records and the ingester has no lag, then prints a pass/fail table.
/// </summary>
internal static class UpVerifier
{
    /// <summary>The DLQ's end offset before the run, so only this run's dead letters are counted.</summary>
    public static long DlqEndOffset(string bootstrap, string dlqTopic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "pipeline-up-verify", IsolationLevel = IsolationLevel.ReadCommitted }).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(dlqTopic, 0), TimeSpan.FromSeconds(30)).High.Value;
    }

    /// <summary>Waits for the drain and checks; returns 0 when every check passed, 1 otherwise.</summary>
    public static async Task<int> RunAsync(GeneratorSummary summary, IQueryStore store, AnalyticsIngester ingester, string bootstrap, string dlqTopic,
        long dlqStart, TimeSpan drainTimeout, TextWriter output, CancellationToken cancellationToken)
    {
        var expected = summary.ExpectedDedupOutput;
        using var dlq = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "pipeline-up-verify",
            IsolationLevel = IsolationLevel.ReadCommitted,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        dlq.Assign(new TopicPartitionOffset(dlqTopic, 0, dlqStart));
        long deadLetters = 0, rows = 0, distinct = 0;
        var clock = Stopwatch.StartNew();
        var settled = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            deadLetters += await Task.Run(() => DrainDlq(dlq), cancellationToken);
            (rows, distinct) = await CountAsync(store, summary.EventTimeStart, cancellationToken);
            var done = rows >= expected.Min && rows <= expected.Max && deadLetters >= summary.Malformed && ingester.Metrics.Lag == 0;
            // Two quiet readings in a row: nothing still on its way that would push a count past its bound.
            settled = done ? settled + 1 : 0;
            if (settled >= 2 || clock.Elapsed > drainTimeout)
            {
                break;
            }
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        var checks = new List<(string Check, string Expected, string Actual, bool Pass)>
        {
            ("events in the store", $"{expected.Min:N0}..{expected.Max:N0} (generator: {summary.DistinctEventIds:N0} distinct, {summary.Duplicates:N0} re-sends)", rows.ToString("N0", CultureInfo.InvariantCulture), rows >= expected.Min && rows <= expected.Max),
            ("no eventId twice", rows.ToString("N0", CultureInfo.InvariantCulture), distinct.ToString("N0", CultureInfo.InvariantCulture), rows == distinct),
            ("malformed records in the DLQ", summary.Malformed.ToString("N0", CultureInfo.InvariantCulture), deadLetters.ToString("N0", CultureInfo.InvariantCulture), deadLetters == summary.Malformed),
            ("drained within the deadline", $"< {drainTimeout.TotalSeconds:0} s", $"{clock.Elapsed.TotalSeconds:0.0} s", clock.Elapsed <= drainTimeout),
        };
        var passed = checks.All(c => c.Pass);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var table = new Table().Border(TableBorder.Simple).AddColumns("check", "expected", "actual", "result");
        foreach (var (check, want, got, pass) in checks)
        {
            table.AddRow(Markup.Escape(check), Markup.Escape(want), Markup.Escape(got), pass ? "PASS" : "FAIL");
        }
        console.Write(table);
        output.WriteLine(passed ? "verify: PASS" : "verify: FAIL");
        return passed ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }

    private static long DrainDlq(IConsumer<Ignore, Ignore> consumer)
    {
        long count = 0;
        while (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { } result)
        {
            if (result.IsPartitionEOF)
            {
                break;
            }
            count++;
        }
        return count;
    }

    private static async Task<(long Rows, long Distinct)> CountAsync(IQueryStore store, long eventTimeStartMs, CancellationToken cancellationToken)
    {
        // A TIMESTAMP literal, not to_timestamp(): on DuckDB a TIMESTAMPTZ bound converts every row, and this runs every second.
        var result = await store.ExecuteAsync(string.Create(CultureInfo.InvariantCulture,
            $"select count(*), count(distinct eventId) from user_events where \"timestamp\" >= {SqlLiterals.UtcTimestamp(DateTimeOffset.FromUnixTimeMilliseconds(eventTimeStartMs))}"),
            new QueryLimits { Timeout = TimeSpan.FromSeconds(60) }, cancellationToken);
        var row = result.Rows.Single();
        return (Convert.ToInt64(row[0], CultureInfo.InvariantCulture), Convert.ToInt64(row[1], CultureInfo.InvariantCulture));
    }
}
