using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace HiStream.Gateway.Security;

/// <summary>A refusal by <see cref="TenantCallerHandler"/> is answered with a 403 whose detail says why (the scheme's own
/// forbid answer cannot know); everything else goes to the standard handler.</summary>
public sealed class ForbiddenProblemHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _standard = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.Where(r => r.Handler is TenantCallerHandler).Select(r => r.Message).ToArray() ?? [];
        if (authorizeResult.Forbidden && reasons.Length > 0)
        {
            await Results.Problem(string.Join(" ", reasons), statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(context);
            return;
        }
        await _standard.HandleAsync(next, context, policy, authorizeResult);
    }
}
