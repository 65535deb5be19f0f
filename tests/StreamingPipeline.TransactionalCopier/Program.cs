using StreamingPipeline.TransactionalCopier;

// Two roles, each a process a crash test can SIGKILL:
//   broker --data-dir D --port P
//   copy --bootstrap B --input T --output T --partition N --group G --transactional-id X
//        [--commit-interval-ms 100] [--max-records-per-transaction 1000]
// COPIER_DEBUG=eos,broker (librdkafka debug contexts) logs the copier's client internals to stderr.
var options = CommandLine.Parse(args.Skip(1));
return args.FirstOrDefault() switch
{
    "broker" => await BrokerHost.RunAsync(options),
    "copy" => TransactionalCopyLoop.Run(options),
    _ => CommandLine.Usage(),
};
