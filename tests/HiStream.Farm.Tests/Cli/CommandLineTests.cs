using HiStream.Gateway.Cli;

namespace HiStream.Farm.Tests.Cli;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("render --prompts p.txt --out out --size 832x480 --frames 81 --slots 2")]
    [InlineData("submit --prompts p.txt --gateway http://farm:8080 --priority 5 --tag a --tag b --watch")]
    [InlineData("status job-1 -g https://farm")]
    [InlineData("watch job-1")]
    [InlineData("cancel job-1 --video 000001-abc")]
    [InlineData("retry job-1")]
    [InlineData("results job-1")]
    [InlineData("serve --urls http://0.0.0.0:8080")]
    public void CommandsParse(string line) => Assert.Empty(CliApp.Create().Parse(line).Errors);

    [Theory]
    [InlineData("render --out out", "--prompts")]
    [InlineData("submit --prompts p.txt --gateway ftp://farm", "http(s)")]
    [InlineData("status", "job")]
    public void MistakesAreReported(string line, string mention) =>
        Assert.Contains(CliApp.Create().Parse(line).Errors, e => e.Message.Contains(mention, StringComparison.OrdinalIgnoreCase));
}
