using HiStream.Grains.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace HiStream.Gateway.Security;

/// <summary>The last line of defence: a name that reached a store and was refused there is the caller's bad input,
/// answered as a 400 problem, never a 500.</summary>
public sealed class BlobNameExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not InvalidBlobNameException invalid) return false;
        await Results.ValidationProblem(new Dictionary<string, string[]> { [invalid.ParamName ?? "name"] = [invalid.Message] }, invalid.Message,
            title: "A storage name was refused").ExecuteAsync(http);
        return true;
    }
}
