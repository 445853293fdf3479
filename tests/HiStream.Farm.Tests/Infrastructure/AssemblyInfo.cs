// The cluster tests render with real models on a 2-core machine; running them side by side only makes each slower.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
