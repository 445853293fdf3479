using HiStream.Gateway.Cli;

return await CliApp.Create().Parse(args).InvokeAsync();
