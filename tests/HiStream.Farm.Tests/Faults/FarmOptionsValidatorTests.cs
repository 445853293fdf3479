using HiStream.Grains.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HiStream.Farm.Tests.Faults;

/// <summary>Lease settings under which leases could not be kept are refused when the silo starts, naming the keys.</summary>
public sealed class FarmOptionsValidatorTests
{
    [Fact]
    public void TheDefaultsAndTheTestClustersSettingsPass()
    {
        var validator = new FarmOptionsValidator();
        Assert.True(validator.Validate(null, new FarmOptions()).Succeeded);
        Assert.True(validator.Validate(null, new FarmOptions { LeaseDuration = TimeSpan.FromSeconds(3), LeaseRenewInterval = TimeSpan.FromMilliseconds(500) }).Succeeded);
    }

    [Theory]
    [InlineData("00:02:00", "00:02:00")]
    [InlineData("00:00:30", "00:01:00")]
    public void ASweepNotShorterThanTheLeaseIsRefusedNamingBothKeys(string lease, string sweep)
    {
        var result = new FarmOptionsValidator().Validate(null, new FarmOptions { LeaseDuration = TimeSpan.Parse(lease), LeaseRenewInterval = TimeSpan.Parse(sweep) });
        Assert.True(result.Failed);
        Assert.Contains("Farm:LeaseRenewInterval", result.FailureMessage);
        Assert.Contains("Farm:LeaseDuration", result.FailureMessage);
    }

    [Fact]
    public void ANonPositiveLeaseOrWatchdogIsRefused()
    {
        var result = new FarmOptionsValidator().Validate(null, new FarmOptions { LeaseDuration = TimeSpan.Zero, DeviceCallTimeout = TimeSpan.FromSeconds(-1) });
        Assert.True(result.Failed);
        Assert.Contains("Farm:LeaseDuration (00:00:00) must be positive", result.FailureMessage);
        Assert.Contains("Farm:DeviceCallTimeout", result.FailureMessage);
    }

    [Fact]
    public async Task ASiloConfiguredWithASweepAsLongAsTheLeaseRefusesToStart()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Farm:LeaseDuration"] = "00:00:20",
            ["Farm:LeaseRenewInterval"] = "00:00:20",
        });
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(ServerProcess.FreePort(), ServerProcess.FreePort());
            silo.AddHiStreamFarm();
            silo.Services.Configure<FarmOptions>(builder.Configuration.GetSection(FarmOptions.Section));
        });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Farm:LeaseRenewInterval (00:00:20) must be shorter than Farm:LeaseDuration (00:00:20)", error.Message);
    }
}
