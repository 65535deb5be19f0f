Console.Error.WriteLine("generator: not yet written");
return 1;
