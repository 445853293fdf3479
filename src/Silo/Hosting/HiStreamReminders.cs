using Azure.Data.Tables;
using HiStream.Grains.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace HiStream.Silo.Hosting;

/// <summary>Orleans' reminder service on the same store as the membership (<see cref="HiStreamClustering.Provider"/>):
/// Redis, Azure Table (table <c>Orleans:Reminders:TableName</c>, default <c>HiStreamReminders</c>) or, for a localhost
/// cluster, in memory. Reminders outlive the silo that registered them (in memory: only while the silo that holds the
/// table lives), which is what a finished job's finish actions rely on.</summary>
public static class HiStreamReminders
{
    public const string DefaultTableName = "HiStreamReminders";

    public static ISiloBuilder UseHiStreamReminders(this ISiloBuilder silo, IConfiguration configuration)
    {
        switch (HiStreamClustering.Provider(configuration))
        {
            case "redis":
                silo.UseRedisReminderService(o => o.ConfigurationOptions = RedisConnection.Options(configuration, HiStreamClustering.RedisAddress(configuration)));
                break;
            case "azuretable":
                var connection = HiStreamClustering.TableConnection(configuration);
                var table = configuration["Orleans:Reminders:TableName"] ?? DefaultTableName;
                silo.UseAzureTableReminderService(o =>
                {
                    o.TableServiceClient = new TableServiceClient(connection);
                    o.TableName = table;
                });
                break;
            default:
                silo.UseInMemoryReminderService();
                break;
        }
        return silo;
    }

    /// <summary>For hosts that chose their clustering themselves (the embedded farm, test clusters): reminders in
    /// memory unless a reminder service is registered already; and the minimum reminder period that
    /// <c>Farm:FinishActionsRecheck</c> needs.</summary>
    public static ISiloBuilder AddHiStreamReminderDefaults(this ISiloBuilder silo)
    {
        if (!silo.Services.Any(d => d.ServiceType == typeof(IReminderTable))) silo.UseInMemoryReminderService();
        silo.Services.AddOptions<ReminderOptions>().Configure<IOptions<FarmOptions>>((reminders, farm) =>
        {
            var recheck = farm.Value.FinishActionsRecheck;
            if (recheck > TimeSpan.Zero && recheck < reminders.MinimumReminderPeriod) reminders.MinimumReminderPeriod = recheck;
        });
        return silo;
    }
}
