using Microsoft.AspNetCore.Authorization;

namespace HiStream.Gateway.Security;

/// <summary>The <c>tenant</c> policy: the caller must resolve to an admin or to a valid tenant. A token whose tenant
/// claim is present but not a valid tenant name would otherwise act as a caller with no tenant and no quota.</summary>
public sealed class TenantCallerRequirement : IAuthorizationRequirement;

public sealed class TenantCallerHandler(CallerResolver callers) : AuthorizationHandler<TenantCallerRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, TenantCallerRequirement requirement)
    {
        var caller = callers.Resolve(context.User);
        if (caller.IsAdmin || caller.Tenant is not null) context.Succeed(requirement);
        else if (callers.TenantClaimError(context.User) is { } error) context.Fail(new AuthorizationFailureReason(this, error));
        else context.Fail(new AuthorizationFailureReason(this, "The credentials name no tenant."));
        return Task.CompletedTask;
    }
}
