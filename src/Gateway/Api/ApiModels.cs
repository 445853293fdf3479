using HiStream.Abstractions.Jobs;
using HiStream.Abstractions.Videos;

namespace HiStream.Gateway.Api;

public sealed record SubmitResponse(string JobId, SubmitOutcome Outcome, JobStatus Status, JobLinks Links);

public sealed record JobLinks(string Self, string Events, string Results, string Cancel);

public sealed record RetryResponse(string JobId, int Requeued);

/// <summary>A video's state, with the URLs of its files once they exist.</summary>
public sealed record VideoResponse(VideoStatus Status, VideoFiles? Files);

public sealed record VideoFiles(Uri Metadata, Uri? Video, Uri Preview, Uri Folder);

public sealed record ResultItem(string VideoId, Uri Metadata, Uri? Video, Uri Preview);

public sealed record ResultsPage(string JobId, int Skip, int Count, IReadOnlyList<ResultItem> Items, int? NextSkip);

/// <summary>A page of jobs, newest first; <see cref="NextSkip"/> is null on the last page.</summary>
public sealed record JobList(JobStatus[] Jobs, int Skip, int? NextSkip);

public sealed record VideoFile(string Name, long Size, Uri Url);

public sealed record VideoFileList(string JobId, string VideoId, IReadOnlyList<VideoFile> Files);
