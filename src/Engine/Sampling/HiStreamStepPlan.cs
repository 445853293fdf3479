namespace HiStream.Engine.Sampling;

/// <summary>Which of the two dual-resolution caching (DRC) stages a model pass runs at.</summary>
public enum StageResolution
{
    Low,
    High,
}

/// <summary>One denoising step of a chunk: the stage it runs at and the timestep it is fed.</summary>
/// <param name="ScheduleIndex">Index into the denoising schedule (<see cref="HiStreamSettings.DenoisingTimesteps"/>).</param>
public sealed record PlannedStep(StageResolution Resolution, int ScheduleIndex, double Timestep)
{
    public override string ToString() => $"{(Resolution == StageResolution.Low ? "lo" : "hi")}@{Timestep:0.###}";
}

/// <summary>
/// The denoising steps of one chunk: some at low resolution, then some at high resolution.
/// Built either from step counts (<see cref="Counts"/>: the low steps take the head of the schedule and the high
/// steps its tail, so 2+2 on the 4-step schedule is [lo 1000, lo 937.5, hi 833.3, hi 625] and 1+1 is
/// [lo 1000, hi 625]) or from explicit schedule indices (<see cref="Indices"/>).
/// </summary>
public sealed record ChunkStepPlan
{
    private ChunkStepPlan(int lowSteps, int highSteps, IReadOnlyList<int>? lowIndices, IReadOnlyList<int>? highIndices)
    {
        LowSteps = lowSteps;
        HighSteps = highSteps;
        LowIndices = lowIndices;
        HighIndices = highIndices;
    }

    public int LowSteps { get; }
    public int HighSteps { get; }

    /// <summary>Explicit schedule indices of the low-res steps, or null when the plan is given by counts.</summary>
    public IReadOnlyList<int>? LowIndices { get; }

    /// <summary>Explicit schedule indices of the high-res steps, or null when the plan is given by counts.</summary>
    public IReadOnlyList<int>? HighIndices { get; }

    public int TotalSteps => LowSteps + HighSteps;

    /// <summary>Low steps from the head of the schedule, high steps from its tail.</summary>
    public static ChunkStepPlan Counts(int lowSteps, int highSteps) => new(lowSteps, highSteps, null, null);

    /// <summary>Explicit schedule indices; together they must be strictly increasing (noise only goes down).</summary>
    public static ChunkStepPlan Indices(IReadOnlyList<int> lowIndices, IReadOnlyList<int> highIndices) =>
        new(lowIndices.Count, highIndices.Count, lowIndices.ToArray(), highIndices.ToArray());

    /// <summary>Resolves the plan against a schedule; <paramref name="settingName"/> names the setting in errors.</summary>
    public IReadOnlyList<PlannedStep> Resolve(IReadOnlyList<double> schedule, string settingName)
    {
        if (LowSteps < 0 || HighSteps < 0)
            throw new ArgumentException($"{settingName}: step counts must not be negative (low {LowSteps}, high {HighSteps}).", settingName);
        if (HighSteps == 0)
            throw new ArgumentException($"{settingName}: a chunk needs at least one high-resolution step (its output is the high-resolution latent).", settingName);
        if ((long)LowSteps + HighSteps > schedule.Count)
            throw new ArgumentException(
                $"{settingName}: {LowSteps} low + {HighSteps} high steps need {(long)LowSteps + HighSteps} timesteps but the denoising schedule (DenoisingTimesteps) has {schedule.Count}.",
                settingName);

        var low = LowIndices ?? Enumerable.Range(0, LowSteps).ToArray();
        var high = HighIndices ?? Enumerable.Range(schedule.Count - HighSteps, HighSteps).ToArray();
        var all = low.Concat(high).ToArray();
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i] < 0 || all[i] >= schedule.Count)
                throw new ArgumentException($"{settingName}: schedule index {all[i]} is outside the denoising schedule (DenoisingTimesteps has {schedule.Count} entries).", settingName);
            if (i > 0 && all[i] <= all[i - 1])
                throw new ArgumentException($"{settingName}: schedule indices [{string.Join(", ", all)}] must be strictly increasing, low steps first.", settingName);
        }

        return low.Select(i => new PlannedStep(StageResolution.Low, i, schedule[i]))
            .Concat(high.Select(i => new PlannedStep(StageResolution.High, i, schedule[i])))
            .ToArray();
    }

    public override string ToString() => LowIndices is null
        ? $"{LowSteps} low + {HighSteps} high"
        : $"low [{string.Join(",", LowIndices)}] + high [{string.Join(",", HighIndices!)}]";
}
