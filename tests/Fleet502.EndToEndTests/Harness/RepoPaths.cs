namespace Fleet502.EndToEndTests.Harness;

/// <summary>Finds the built agent and collector next to this test assembly's configuration.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    // bin/<Configuration>/net10.0/ of this assembly: the programs were built with the same configuration.
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    public static string AgentDll => Program("agent", "fleet502-agent");

    public static string CollectorDll => Program("collector", "fleet502-collector");

    public static string Nginx => Environment.GetEnvironmentVariable("FLEET502_NGINX") ?? "/usr/sbin/nginx";

    private static string Program(string project, string assembly)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", assembly + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; run dotnet build first", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fleet502.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Fleet502.sln not found above " + AppContext.BaseDirectory);
    }
}
