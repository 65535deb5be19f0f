// Benchmarks are added per issue; each one is a sub-command of this program.
if (args is ["transactional-copy", ..]) return await StreamingPipeline.Benchmarks.TransactionalCopyBenchmark.RunAsync(args[1..]);
Console.Error.WriteLine("usage: dotnet run -c Release --project benchmarks/StreamingPipeline.Benchmarks -- <benchmark>");
return 2;
