using System.CommandLine;
using HiStream.Gateway.Security;

namespace HiStream.Gateway.Cli;

/// <summary><c>histream keys new --tenant NAME [--admin]</c>: a new API key and the configuration that accepts it
/// (only the hash goes into configuration; the key is shown once).</summary>
public static class KeysCommand
{
    public static Command Create()
    {
        var tenant = new Option<string>("--tenant", "-t") { Description = "Tenant the key acts for (1-32 lower-case letters, digits, '-')", Required = true };
        var admin = new Option<bool>("--admin") { Description = "Give the key the admin role (queue view, every tenant's jobs)" };
        var index = new Option<int>("--index") { Description = "Position in Gateway:Auth:Keys", DefaultValueFactory = _ => 0 };
        var create = new Command("new", "Make an API key and print its configuration") { tenant, admin, index };
        create.SetAction(parse =>
        {
            var name = parse.GetValue(tenant)!;
            if (TenantNames.Error(name) is { } error)
            {
                Console.Error.WriteLine($"--tenant {error}");
                return 2;
            }
            var key = ApiKeys.NewKey();
            int i = parse.GetValue(index);
            Console.WriteLine($"API key (give it to the tenant; it is not stored anywhere): {key}");
            Console.WriteLine("Gateway configuration (environment, or a Kubernetes Secret's data):");
            Console.WriteLine($"Gateway__Auth__Keys__{i}__Tenant={name}");
            Console.WriteLine($"Gateway__Auth__Keys__{i}__KeySha256={ApiKeys.HashHex(key)}");
            if (parse.GetValue(admin)) Console.WriteLine($"Gateway__Auth__Keys__{i}__Roles__0={GatewayClaims.AdminRole}");
            return 0;
        });
        return new Command("keys", "API keys for the gateway") { create };
    }
}
