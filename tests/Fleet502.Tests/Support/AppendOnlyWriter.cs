using System.Runtime.InteropServices;
using System.Text;

namespace Fleet502.Tests.Support;

/// <summary>
/// Writes like nginx does: open(O_WRONLY|O_APPEND|O_CREAT) and one write(2) per line, so a
/// truncation by logrotate's copytruncate makes the next line land at offset 0 (.NET's
/// FileMode.Append would keep its own offset and leave a hole). Reopen() is nginx's USR1.
/// </summary>
public sealed partial class AppendOnlyWriter : IDisposable
{
    private const int WriteOnly = 0x1, Create = 0x40, Append = 0x400, CloseOnExec = 0x80000;
    private readonly string _path;
    private int _fd;

    public AppendOnlyWriter(string path)
    {
        _path = path;
        _fd = OpenFile();
    }

    public void WriteLine(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        if (Write(_fd, bytes, bytes.Length) != bytes.Length)
        {
            throw new IOException($"write to {_path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public void WriteRaw(byte[] bytes)
    {
        if (Write(_fd, bytes, bytes.Length) != bytes.Length)
        {
            throw new IOException($"write to {_path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Closes and opens the path again, as nginx does on USR1 after logrotate.</summary>
    public void Reopen()
    {
        var fd = OpenFile();
        _ = Close(_fd);
        _fd = fd;
    }

    private int OpenFile()
    {
        var fd = Open(_path, WriteOnly | Create | Append | CloseOnExec, Convert.ToInt32("644", 8));
        return fd >= 0 ? fd : throw new IOException($"open {_path} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public void Dispose() => _ = Close(_fd);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
