using Azure.Storage.Blobs;
using Orleans.Storage;

namespace HiStream.Grains.Storage;

public sealed class AzureBlobGrainStorageOptions
{
    public string ContainerName { get; set; } = "grainstate";

    /// <summary>Connection string, used when <see cref="ServiceClient"/> is not set.</summary>
    public string? ConnectionString { get; set; }

    public BlobServiceClient? ServiceClient { get; set; }

    /// <summary>Defaults to the silo's <see cref="IGrainStorageSerializer"/>.</summary>
    public IGrainStorageSerializer? Serializer { get; set; }

    /// <summary>Delete the blob on clear (otherwise an empty blob is kept with its ETag).</summary>
    public bool DeleteStateOnClear { get; set; } = true;

    public int MaxAttempts { get; set; } = 8;
}
