using StreamingPipeline.Cli;

return await PipelineCli.RunAsync(args);
