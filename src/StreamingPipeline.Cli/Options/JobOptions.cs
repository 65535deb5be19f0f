using System.CommandLine;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Cli.Options;

/// <summary>The options every processing job (<c>forward</c>, <c>dedup</c>) takes, spelled the same for both.</summary>
public sealed class JobOptions
{
    /// <summary>The state backends <c>--state</c> accepts.</summary>
    public static readonly string[] StateBackends = ["rocksdb", "memory"];

    private JobOptions(string job)
    {
        Bootstrap = CommonOptions.BootstrapServers();
        InputTopic = new("--input-topic") { Description = "Topic to read", DefaultValueFactory = _ => "input-user-events" };
        OutputTopic = new("--output-topic") { Description = "Topic to write (same partition count as the input)", DefaultValueFactory = _ => "output-user-events" };
        DlqTopic = new("--dlq-topic") { Description = "Topic for records that cannot be processed", DefaultValueFactory = _ => "user-events-dlq" };
        GroupId = new("--group-id") { Description = "Consumer group of all instances of the job", DefaultValueFactory = _ => $"pipeline-{job}" };
        InstanceId = new("--instance-id") { Description = "This instance's id in the transactional id (default: random per start)" };
        StateDir = new("--state-dir") { Description = "Where the tasks' state lives", DefaultValueFactory = _ => Path.Combine(".", "data", "state") };
        State = new("--state") { Description = "State backend: rocksdb or memory", DefaultValueFactory = _ => "rocksdb" };
        State.AcceptOnlyFromAmong(StateBackends);
        CommitInterval = CommonOptions.Duration("--commit-interval", "Longest a transaction stays open", "100ms");
        CommitInterval.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.GetValueOrDefault<WrittenValue<TimeSpan>>().Value <= TimeSpan.Zero)
            {
                r.AddError("--commit-interval must be positive.");
            }
        });
        MaxRecords = new("--max-records-per-transaction")
        {
            Description = "Commit earlier once a transaction holds this many input records",
            DefaultValueFactory = _ => 50_000,
            Validators = { r => { if (r.GetValueOrDefault<int>() < 1) { r.AddError("--max-records-per-transaction must be at least 1."); } } },
        };
        SessionTimeout = CommonOptions.Duration("--session-timeout", "How soon the group gives a silent instance's partitions to others", "10s");
        TransactionTimeout = CommonOptions.Duration("--transaction-timeout", "How soon the broker aborts a dead instance's open transaction", "10s");
        StatsInterval = CommonOptions.Duration("--stats-interval", "Interval of the plain status lines when output is not a terminal", "5s");
        Config = CommonOptions.Config("Extra librdkafka setting for the job's clients");
        MetricsListen = MetricsOptions.Listen(job == "dedup" ? MetricsOptions.DedupDefault : MetricsOptions.ForwardDefault);
        Verbosity = Options.Verbosity.Create();
        Quiet = Options.Verbosity.CreateQuiet("Only warnings and errors, and no status display");
    }

    /// <summary><c>-b</c>.</summary>
    public Option<string> Bootstrap { get; }

    /// <summary><c>--input-topic</c>.</summary>
    public Option<string> InputTopic { get; }

    /// <summary><c>--output-topic</c>.</summary>
    public Option<string> OutputTopic { get; }

    /// <summary><c>--dlq-topic</c>.</summary>
    public Option<string> DlqTopic { get; }

    /// <summary><c>--group-id</c>.</summary>
    public Option<string> GroupId { get; }

    /// <summary><c>--instance-id</c>.</summary>
    public Option<string?> InstanceId { get; }

    /// <summary><c>--state-dir</c>.</summary>
    public Option<string> StateDir { get; }

    /// <summary><c>--state</c>.</summary>
    public Option<string> State { get; }

    /// <summary><c>--commit-interval</c>.</summary>
    public Option<WrittenValue<TimeSpan>> CommitInterval { get; }

    /// <summary><c>--max-records-per-transaction</c>.</summary>
    public Option<int> MaxRecords { get; }

    /// <summary><c>--session-timeout</c>.</summary>
    public Option<WrittenValue<TimeSpan>> SessionTimeout { get; }

    /// <summary><c>--transaction-timeout</c>.</summary>
    public Option<WrittenValue<TimeSpan>> TransactionTimeout { get; }

    /// <summary><c>--stats-interval</c>.</summary>
    public Option<WrittenValue<TimeSpan>> StatsInterval { get; }

    /// <summary><c>--config</c>.</summary>
    public Option<string[]> Config { get; }

    /// <summary><c>--metrics-listen</c>.</summary>
    public Option<string> MetricsListen { get; }

    /// <summary><c>-v</c>.</summary>
    public Option<string> Verbosity { get; }

    /// <summary><c>-q/--quiet</c>.</summary>
    public Option<bool> Quiet { get; }

    /// <summary>Creates the options of <paramref name="job"/> and adds them to <paramref name="command"/>.</summary>
    public static JobOptions AddTo(Command command, string job)
    {
        var options = new JobOptions(job);
        foreach (var option in new Option[]
        {
            options.Bootstrap, options.InputTopic, options.OutputTopic, options.DlqTopic, options.GroupId, options.InstanceId,
            options.StateDir, options.State, options.CommitInterval, options.MaxRecords, options.SessionTimeout,
            options.TransactionTimeout, options.StatsInterval, options.Config, options.MetricsListen, options.Verbosity, options.Quiet,
        })
        {
            command.Options.Add(option);
        }
        return options;
    }

    /// <summary>The runtime's settings from the parsed command line.</summary>
    public ProcessingOptions ToProcessingOptions(ParseResult parse, Action<string> onHungCall) => new()
    {
        BootstrapServers = parse.GetValue(Bootstrap)!,
        InputTopic = parse.GetValue(InputTopic)!,
        OutputTopic = parse.GetValue(OutputTopic)!,
        DlqTopic = parse.GetValue(DlqTopic)!,
        GroupId = parse.GetValue(GroupId)!,
        InstanceId = parse.GetValue(InstanceId),
        StateDirectory = parse.GetValue(StateDir)!,
        CommitInterval = parse.GetValue(CommitInterval),
        MaxRecordsPerTransaction = parse.GetValue(MaxRecords),
        SessionTimeout = parse.GetValue(SessionTimeout),
        TransactionTimeout = parse.GetValue(TransactionTimeout),
        ClientConfig = CommonOptions.ToDictionary(parse.GetValue(Config)),
        OnHungCall = onHungCall,
    };
}
