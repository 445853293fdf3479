using StackExchange.Redis;

namespace HiStream.Silo.Hosting;

/// <summary>The Redis connection of silos and gateway: <c>Orleans:Redis</c> (StackExchange.Redis syntax, no secret
/// in it) plus <c>Orleans:RedisPassword</c>, which Kubernetes fills from a Secret so the password never sits in the
/// ConfigMap.</summary>
public static class RedisConnection
{
    public static ConfigurationOptions Options(IConfiguration configuration, string connection)
    {
        var options = ConfigurationOptions.Parse(connection);
        if (configuration["Orleans:RedisPassword"] is { Length: > 0 } password) options.Password = password;
        return options;
    }
}
