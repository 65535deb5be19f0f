using System.CommandLine;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Cli.Output;

namespace StreamingPipeline.Cli.Commands;

/// <summary>
/// <c>pipeline topics create|list|describe|alter|add-partitions|delete</c> against any Kafka cluster, like
/// kafka-topics.sh and kafka-configs.sh.
/// </summary>
public static class TopicsCommand
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Builds the command group.</summary>
    public static Command Create()
    {
        var topics = new Command("topics", "Create, list, describe, alter, grow and delete topics");
        topics.Subcommands.Add(CreateCommand());
        topics.Subcommands.Add(ListCommand());
        topics.Subcommands.Add(DescribeCommand());
        topics.Subcommands.Add(AlterCommand());
        topics.Subcommands.Add(AddPartitionsCommand());
        topics.Subcommands.Add(DeleteCommand());
        return topics;
    }

    private static Command CreateCommand()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var topic = CommonOptions.Topic("Topic to create");
        var partitions = new Option<int>("--partitions", "-p") { Description = "Number of partitions", DefaultValueFactory = _ => 1 };
        var replication = new Option<short>("--replication-factor") { Description = "Replicas per partition", DefaultValueFactory = _ => 1 };
        var config = CommonOptions.Config("Topic configuration, e.g. retention.ms=86400000");
        var ifNotExists = new Option<bool>("--if-not-exists") { Description = "Succeed when the topic already exists" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate on the cluster without creating" };
        var command = new Command("create", "Create a topic") { bootstrap, topic, partitions, replication, config, ifNotExists, dryRun };
        partitions.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--partitions must be at least 1.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            if (await BootstrapCheck.FindProblemAsync(parse.GetValue(bootstrap)!, ct) is { } unreachable)
            {
                return Fail(unreachable);
            }
            using var admin = Admin(parse.GetValue(bootstrap)!);
            var name = parse.GetValue(topic)!;
            var spec = new TopicSpecification
            {
                Name = name,
                NumPartitions = parse.GetValue(partitions),
                ReplicationFactor = parse.GetValue(replication),
                Configs = CommonOptions.ToDictionary(parse.GetValue(config)),
            };
            try
            {
                await admin.CreateTopicsAsync([spec], new CreateTopicsOptions { ValidateOnly = parse.GetValue(dryRun), RequestTimeout = RequestTimeout });
                Console.WriteLine(parse.GetValue(dryRun) ? $"Topic {name} can be created." : $"Created topic {name}.");
                return ExitCodes.Ok;
            }
            catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists) && parse.GetValue(ifNotExists))
            {
                Console.WriteLine($"Topic {name} already exists.");
                return ExitCodes.Ok;
            }
            catch (CreateTopicsException ex)
            {
                return Fail($"cannot create topic {name}: {ex.Results[0].Error.Reason}");
            }
            catch (KafkaException ex)
            {
                return Fail($"Kafka at {parse.GetValue(bootstrap)}: {ex.Error.Reason}");
            }
        });
        return command;
    }

    private static Command ListCommand()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var output = OutputFormatOption.Create();
        var command = new Command("list", "List topics") { bootstrap, output };
        command.SetAction(async (parse, ct) =>
        {
            if (await BootstrapCheck.FindProblemAsync(parse.GetValue(bootstrap)!, ct) is { } unreachable)
            {
                return Fail(unreachable);
            }
            using var admin = Admin(parse.GetValue(bootstrap)!);
            try
            {
                var metadata = admin.GetMetadata(RequestTimeout);
                var rows = metadata.Topics.OrderBy(t => t.Topic, StringComparer.Ordinal).Select(t => new object?[] { t.Topic, t.Partitions.Count });
                RowPrinter.Print(Console.Out, parse.GetValue(output), ["topic", "partitions"], rows);
                return ExitCodes.Ok;
            }
            catch (KafkaException ex)
            {
                return Fail($"Kafka at {parse.GetValue(bootstrap)}: {ex.Error.Reason}");
            }
        });
        return command;
    }

    private static Command DescribeCommand()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var topic = CommonOptions.Topic("Topic to describe");
        var output = OutputFormatOption.Create();
        var allConfigs = new Option<bool>("--all-configs") { Description = "List every config, defaults included, not only those set" };
        var command = new Command("describe", "Show a topic's partitions, offsets and configuration with where each value comes from") { bootstrap, topic, output, allConfigs };
        command.SetAction(async (parse, ct) =>
        {
            var name = parse.GetValue(topic)!;
            var servers = parse.GetValue(bootstrap)!;
            if (await BootstrapCheck.FindProblemAsync(servers, ct) is { } unreachable)
            {
                return Fail(unreachable);
            }
            using var admin = Admin(servers);
            try
            {
                // Metadata of all topics, never of the one named: a request naming a topic may create it on a broker
                // that auto-creates topics, and describing a typo must not leave a new topic behind.
                var metadata = admin.GetMetadata(RequestTimeout);
                var described = metadata.Topics.SingleOrDefault(t => t.Topic == name);
                if (described is null)
                {
                    return Fail($"topic {name} does not exist (pipeline topics list shows the topics there are).");
                }
                if (described.Error.IsError)
                {
                    return Fail($"topic {name}: {described.Error.Reason}");
                }
                using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = servers, GroupId = "pipeline-topics-describe", AllowAutoCreateTopics = false })
                    .SetLogHandler((_, _) => { })
                    .Build();
                var rows = described.Partitions.OrderBy(p => p.PartitionId).Select(p =>
                {
                    var offsets = consumer.QueryWatermarkOffsets(new TopicPartition(name, p.PartitionId), RequestTimeout);
                    return new object?[] { name, p.PartitionId, p.Leader, offsets.Low.Value, offsets.High.Value };
                }).ToList();
                RowPrinter.Print(Console.Out, parse.GetValue(output), ["topic", "partition", "leader", "log-start-offset", "high-watermark"], rows);
                var configs = await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = name }]);
                var configRows = configs[0].Entries.Values.Where(e => parse.GetValue(allConfigs) || !e.IsDefault).OrderBy(e => e.Name, StringComparer.Ordinal)
                    .Select(e => new object?[] { e.Name, e.Value, SourceName(e.Source) }).ToList();
                if (configRows.Count > 0)
                {
                    RowPrinter.Print(Console.Out, parse.GetValue(output), ["config", "value", "source"], configRows);
                }
                return ExitCodes.Ok;
            }
            catch (KafkaException ex)
            {
                return Fail($"Kafka at {parse.GetValue(bootstrap)}: {ex.Error.Reason}");
            }
        });
        return command;
    }

    private static Command AlterCommand()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var topic = CommonOptions.Topic("Topic to alter");
        var config = CommonOptions.Config("Config to set, e.g. retention.ms=86400000");
        var deleteConfig = new Option<string[]>("--delete-config")
        {
            Description = "Config to return to its default (repeatable)",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate on the cluster without changing anything" };
        var command = new Command("alter", "Set or remove topic configs; they take effect at once") { bootstrap, topic, config, deleteConfig, dryRun };
        command.Validators.Add(r =>
        {
            var sets = CommonOptions.ToDictionary(r.GetValue(config));
            var deletes = r.GetValue(deleteConfig) ?? [];
            if (sets.Count == 0 && deletes.Length == 0)
            {
                r.AddError("Give at least one --config key=value or --delete-config key.");
            }
            else if (deletes.FirstOrDefault(d => sets.ContainsKey(d.Trim())) is { } both)
            {
                r.AddError($"{both} is both set and deleted.");
            }
            else if (deletes.Any(string.IsNullOrWhiteSpace))
            {
                r.AddError("--delete-config needs a config name.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var name = parse.GetValue(topic)!;
            var servers = parse.GetValue(bootstrap)!;
            if (await BootstrapCheck.FindProblemAsync(servers, ct) is { } unreachable)
            {
                return Fail(unreachable);
            }
            var entries = CommonOptions.ToDictionary(parse.GetValue(config))
                .Select(c => new ConfigEntry { Name = c.Key, Value = c.Value, IncrementalOperation = AlterConfigOpType.Set })
                .Concat((parse.GetValue(deleteConfig) ?? []).Select(d => new ConfigEntry { Name = d.Trim(), IncrementalOperation = AlterConfigOpType.Delete }))
                .ToList();
            using var admin = Admin(servers);
            try
            {
                await admin.IncrementalAlterConfigsAsync(
                    new Dictionary<ConfigResource, List<ConfigEntry>> { [new ConfigResource { Type = ResourceType.Topic, Name = name }] = entries },
                    new IncrementalAlterConfigsOptions { ValidateOnly = parse.GetValue(dryRun), RequestTimeout = RequestTimeout });
                Console.WriteLine(parse.GetValue(dryRun) ? $"The configs of topic {name} can be changed." : $"Changed the configs of topic {name}.");
                return ExitCodes.Ok;
            }
            catch (IncrementalAlterConfigsException ex)
            {
                return Fail($"cannot alter topic {name}: {ex.Results[0].Error.Reason}");
            }
            catch (KafkaException ex)
            {
                return Fail($"Kafka at {servers}: {ex.Error.Reason}");
            }
        });
        return command;
    }

    private static Command AddPartitionsCommand()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var topic = CommonOptions.Topic("Topic to grow");
        var partitions = new Option<int>("--partitions", "-p") { Description = "The topic's new number of partitions (more than it has)", Required = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate on the cluster without adding partitions" };
        var command = new Command("add-partitions", "Grow a topic to more partitions (partitions are never removed)") { bootstrap, topic, partitions, dryRun };
        partitions.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--partitions must be at least 1.");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            var name = parse.GetValue(topic)!;
            var servers = parse.GetValue(bootstrap)!;
            var count = parse.GetValue(partitions);
            if (await BootstrapCheck.FindProblemAsync(servers, ct) is { } unreachable)
            {
                return Fail(unreachable);
            }
            using var admin = Admin(servers);
            try
            {
                await admin.CreatePartitionsAsync(
                    [new PartitionsSpecification { Topic = name, IncreaseTo = count }],
                    new CreatePartitionsOptions { ValidateOnly = parse.GetValue(dryRun), RequestTimeout = RequestTimeout });
                Console.WriteLine(parse.GetValue(dryRun) ? $"Topic {name} can grow to {count} partitions." : $"Topic {name} now has {count} partitions.");
                return ExitCodes.Ok;
            }
            catch (CreatePartitionsException ex)
            {
                return Fail($"cannot add partitions to topic {name}: {ex.Results[0].Error.Reason}");
            }
            catch (KafkaException ex)
            {
                return Fail($"Kafka at {servers}: {ex.Error.Reason}");
            }
        });
        return command;
    }

    /// <summary>Where a config value comes from, in the words kafka-configs.sh uses.</summary>
    private static string SourceName(ConfigSource source) => source switch
    {
        ConfigSource.DynamicTopicConfig => "topic",
        ConfigSource.DynamicBrokerConfig => "dynamic-broker",
        ConfigSource.DynamicDefaultBrokerConfig => "dynamic-broker-default",
        ConfigSource.StaticBrokerConfig => "static-broker",
        ConfigSource.DefaultConfig => "default",
        _ => "unknown",
    };

    private static Command DeleteCommand()
    {
        var bootstrap = CommonOptions.BootstrapServers();
        var topic = CommonOptions.Topic("Topic to delete");
        var ifExists = new Option<bool>("--if-exists") { Description = "Succeed when the topic does not exist" };
        var command = new Command("delete", "Delete a topic and its data") { bootstrap, topic, ifExists };
        command.SetAction(async (parse, ct) =>
        {
            var name = parse.GetValue(topic)!;
            if (await BootstrapCheck.FindProblemAsync(parse.GetValue(bootstrap)!, ct) is { } unreachable)
            {
                return Fail(unreachable);
            }
            using var admin = Admin(parse.GetValue(bootstrap)!);
            try
            {
                await admin.DeleteTopicsAsync([name], new DeleteTopicsOptions { RequestTimeout = RequestTimeout });
                Console.WriteLine($"Deleted topic {name}.");
                return ExitCodes.Ok;
            }
            catch (DeleteTopicsException ex) when (parse.GetValue(ifExists) && ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.UnknownTopicOrPart))
            {
                Console.WriteLine($"Topic {name} does not exist.");
                return ExitCodes.Ok;
            }
            catch (DeleteTopicsException ex)
            {
                return Fail($"cannot delete topic {name}: {ex.Results[0].Error.Reason}");
            }
            catch (KafkaException ex)
            {
                return Fail($"Kafka at {parse.GetValue(bootstrap)}: {ex.Error.Reason}");
            }
        });
        return command;
    }

    private static IAdminClient Admin(string bootstrapServers) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers, SocketTimeoutMs = (int)RequestTimeout.TotalMilliseconds, AllowAutoCreateTopics = false })
            .SetLogHandler((_, _) => { })
            .Build();

    private static int Fail(string reason)
    {
        Console.Error.WriteLine($"error: {reason}");
        return ExitCodes.Failure;
    }
}
