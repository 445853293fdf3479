using Microsoft.Extensions.Options;

namespace HiStream.Grains.Hosting;

/// <summary>Refuses, at silo start, lease and watchdog settings under which leases could not be kept: each error names
/// the configuration keys involved.</summary>
public sealed class FarmOptionsValidator : IValidateOptions<FarmOptions>
{
    private const string Lease = $"{FarmOptions.Section}:{nameof(FarmOptions.LeaseDuration)}";
    private const string Sweep = $"{FarmOptions.Section}:{nameof(FarmOptions.LeaseRenewInterval)}";
    private const string Watchdog = $"{FarmOptions.Section}:{nameof(FarmOptions.DeviceCallTimeout)}";

    public ValidateOptionsResult Validate(string? name, FarmOptions options)
    {
        var errors = new List<string>();
        if (options.LeaseDuration <= TimeSpan.Zero) errors.Add($"{Lease} ({options.LeaseDuration}) must be positive.");
        if (options.LeaseRenewInterval <= TimeSpan.Zero) errors.Add($"{Sweep} ({options.LeaseRenewInterval}) must be positive.");
        else if (options.LeaseRenewInterval >= options.LeaseDuration)
            errors.Add($"{Sweep} ({options.LeaseRenewInterval}) must be shorter than {Lease} ({options.LeaseDuration}): leases are renewed by their videos " +
                       $"(after each chunk, and every third of {Lease} during a device call) and the queue partitions sweep for expired leases " +
                       $"every {Sweep}, which cannot keep up with leases that expire sooner.");
        if (options.DeviceCallTimeout <= TimeSpan.Zero) errors.Add($"{Watchdog} ({options.DeviceCallTimeout}) must be positive.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
