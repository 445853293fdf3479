namespace HiStream.Abstractions.Jobs;

/// <summary>An item that failed for good, with the error of its last attempt.</summary>
[GenerateSerializer, Immutable, Alias("histream.FailedItem")]
public sealed record FailedItem(
    [property: Id(0)] int Index,
    [property: Id(1)] string VideoId,
    [property: Id(2)] string Error,
    [property: Id(3)] int Attempts);

/// <summary>One page of a job's failed items; <see cref="Total"/> counts them all. A job keeps the error of its first
/// failures only (<c>Farm:FailedErrorsKept</c>): <see cref="ErrorsNotKept"/> counts the failed items listed without it.</summary>
[GenerateSerializer, Immutable, Alias("histream.FailedItemsPage")]
public sealed record FailedItemsPage(
    [property: Id(0)] string JobId,
    [property: Id(1)] int Total,
    [property: Id(2)] int Skip,
    [property: Id(3)] FailedItem[] Items,
    [property: Id(4)] int? NextSkip,
    [property: Id(5)] int ErrorsNotKept = 0);
