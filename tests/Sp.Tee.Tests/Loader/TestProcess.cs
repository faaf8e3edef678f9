using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sp.Tee.Tests.Loader;

/// <summary>Locates the built programs (same configuration as the tests) and runs them as background processes.</summary>
internal static class Programs
{
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "scripts", "ensure-docker.sh")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
                    return dir.FullName;
            throw new InvalidOperationException($"no repository root (scripts/ensure-docker.sh) above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>…/tests/Sp.Tee.Tests/bin/{Configuration}/net10.0/ → {Configuration}.</summary>
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;

    public static string Dll(string project, string assembly)
    {
        var path = Path.Combine(RepositoryRoot, "src", project, "bin", Configuration, "net10.0", assembly + ".dll");
        Assert.True(File.Exists(path), $"{path} is missing: build the solution (./build.sh) or this test project");
        return path;
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>A program run in the background with its output appended to a log file; killed with SIGKILL on demand.</summary>
internal sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;

    private BackgroundProcess(Process process, string log)
    {
        _process = process;
        LogPath = log;
    }

    public string LogPath { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Log => File.Exists(LogPath) ? ReadShared(LogPath) : "";

    public static BackgroundProcess Start(string dll, IEnumerable<string> args, string log)
    {
        var psi = new ProcessStartInfo("bash") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec dotnet \"$@\" >>\"$SP_TEST_LOG\" 2>&1 </dev/null");
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SP_TEST_LOG"] = log;
        return new BackgroundProcess(Process.Start(psi) ?? throw new InvalidOperationException($"could not start {dll}"), log);
    }

    /// <summary>SIGKILL: no clean-up of any kind runs in the program.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill();
        _process.WaitForExit(10_000);
    }

    /// <summary>Waits until the log contains <paramref name="text"/> (after <paramref name="from"/> characters).</summary>
    public async Task WaitForLogAsync(string text, TimeSpan timeout, int from = 0)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            var log = Log;
            if (log.Length > from && log.IndexOf(text, from, StringComparison.Ordinal) >= 0) return;
            Assert.False(_process.HasExited, $"the process exited while waiting for '{text}':\n{log}");
            await Task.Delay(50);
        }
        Assert.Fail($"'{text}' did not appear in {LogPath} within {timeout}:\n{Log}");
    }

    private static string ReadShared(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(fs);
        return r.ReadToEnd();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
