namespace HiStream.Gateway.Jobs;

/// <summary>Checks a job's webhook URL: absolute http or https, at most 2048 characters.</summary>
public static class WebhookUrl
{
    public static string? Problem(string url)
    {
        if (url.Length > 2048) return "is longer than 2048 characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return $"'{url}' is not an absolute http or https URL.";
        return null;
    }
}
