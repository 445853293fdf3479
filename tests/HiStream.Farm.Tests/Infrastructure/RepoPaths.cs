namespace HiStream.Farm.Tests.Infrastructure;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HiStream.Farm.sln"))) return dir.FullName;
        throw new InvalidOperationException("HiStream.Farm.sln not found above the test binaries.");
    }
}
