using HiStream.Abstractions.Jobs;

namespace HiStream.Farm.Tests.Infrastructure;

public static class JobEvents
{
    /// <summary>Waits for the first event of the job that matches.</summary>
    public static async Task<ProgressEvent> WaitForAsync(IJobGrain job, Func<ProgressEvent, bool> match, TimeSpan timeout)
    {
        long after = 0;
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var batch = await job.GetEventsAsync(after, 1000, TimeSpan.FromSeconds(2));
            foreach (var e in batch.Events)
                if (match(e)) return e;
            after = batch.LastSequence;
        }
        throw new TimeoutException("The expected job event did not arrive.");
    }
}
