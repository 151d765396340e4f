using System.Collections.Concurrent;
using System.Globalization;

namespace Gateway.Config.Nginx;

/// <summary>
/// nginx's error log (<c>error_log FILE LEVEL</c>, main context): lines as nginx writes them,
/// <c>2026/12/03 10:00:00 [error] PID#TID: *N message, client: ..., server: ..., request: "...", upstream: "...", host: "..."</c>,
/// for what the gateway does in nginx's place (a failed try, no live upstreams, a reload). Lines below the level are
/// not written; without a file they go to stderr (the launcher's <c>-e</c>). One writer per file, shared by reloads.
/// </summary>
public sealed class NginxErrorLog
{
    private static readonly string[] s_levels = ["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"];
    private static readonly ConcurrentDictionary<string, NginxErrorLog> s_files = new(StringComparer.Ordinal);
    private static long s_requests;
    private readonly string? _path;
    private readonly Lock _write = new();

    private NginxErrorLog(string? path, int level)
    {
        _path = path;
        Level = level;
    }

    /// <summary>The most verbose level written (index into emerg..debug).</summary>
    public int Level { get; }

    /// <summary>The log of <paramref name="site"/>'s main-context error_log.</summary>
    public static NginxErrorLog For(NginxSite site)
    {
        var level = Array.IndexOf(s_levels, site.ErrorLogLevel);
        return s_files.GetOrAdd((site.ErrorLog ?? "stderr") + "\n" + level, static (_, s) => new NginxErrorLog(s.Path, s.Level),
            (Path: site.ErrorLog, Level: level < 0 ? 3 : level));
    }

    public static bool IsLevel(string name) => Array.IndexOf(s_levels, name) >= 0;

    /// <summary>A number for a request's lines (nginx's *N connection number).</summary>
    public static long NextRequestNumber() => Interlocked.Increment(ref s_requests);

    public bool Enabled(string level) => Array.IndexOf(s_levels, level) <= Level;

    /// <summary>Writes one line at <paramref name="level"/> (without the request part when <paramref name="request"/> is 0).</summary>
    public void Write(string level, long request, string message)
    {
        if (!Enabled(level))
        {
            return;
        }

        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.Now:yyyy/MM/dd HH:mm:ss} [{level}] {pid}#{Environment.CurrentManagedThreadId}: {(request > 0 ? $"*{request} " : "")}{message}\n");
        lock (_write)
        {
            try
            {
                if (_path is null)
                {
                    Console.Error.Write(line);
                }
                else
                {
                    File.AppendAllText(_path, line);
                }
            }
            catch (IOException)
            {
                // nginx too goes on when its log cannot be written
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
