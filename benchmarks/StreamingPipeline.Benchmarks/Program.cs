// Benchmarks are added per issue; each one is a sub-command of this program.
Console.Error.WriteLine("usage: dotnet run -c Release --project benchmarks/StreamingPipeline.Benchmarks -- <benchmark>");
return 2;
