namespace Fleet502.Tests.Agent.HostState;

/// <summary>A temp directory that a root-started nginx/php-fpm worker (nobody, www-data) can traverse.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        // Short: unix socket paths must fit in 108 bytes.
        Path = Directory.CreateTempSubdirectory("f502-").FullName;
        File.SetUnixFileMode(Path, (UnixFileMode)0b111_101_101);
    }

    public string Path { get; }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
