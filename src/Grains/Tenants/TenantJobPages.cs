using HiStream.Grains.Manifests;
using HiStream.Grains.Storage;

namespace HiStream.Grains.Tenants;

/// <summary>A tenant's older job ids, out of its grain state: blobs <c>tenants/&lt;tenant&gt;/jobs-NNNNNN.json</c> in the
/// jobs container, each a JSON array of one page of ids, oldest first. A page is never changed once its grain state
/// counts it; before that, writing it again writes the same ids.</summary>
public sealed class TenantJobPages(IBlobStore blobs, string container, string tenant)
{
    public string PageName(int page) => $"tenants/{tenant}/jobs-{page:D6}.json";

    public Task WriteAsync(int page, IReadOnlyList<string> ids) =>
        blobs.PutAsync(container, PageName(page), BinaryData.FromObjectAsJson(ids, FarmJson.Options), "application/json");

    public async Task<string[]> ReadAsync(int page)
    {
        var data = await blobs.TryReadAsync(container, PageName(page)) ?? throw new InvalidDataException($"Job list page '{PageName(page)}' is missing.");
        return data.ToObjectFromJson<string[]>(FarmJson.Options) ?? throw new InvalidDataException($"Job list page '{PageName(page)}' is empty.");
    }
}
