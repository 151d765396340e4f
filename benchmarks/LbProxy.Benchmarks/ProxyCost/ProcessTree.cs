using System.Globalization;

namespace Benchmarks.ProxyCost;

/// <summary>CPU time of a process and its descendants from /proc (nginx and HAProxy work in child processes).</summary>
internal static class ProcessTree
{
    private static readonly double s_ticksPerSecond = 100; // USER_HZ on Linux

    public static double CpuSeconds(int root)
    {
        var parents = new Dictionary<int, int>();
        var cpu = new Dictionary<int, double>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                cpu[pid] = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / s_ticksPerSecond;
            }
            catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
            {
            }
        }

        var total = 0.0;
        foreach (var (pid, seconds) in cpu)
        {
            for (var p = pid; p > 1 && parents.TryGetValue(p, out var parent); p = parent)
            {
                if (p == root)
                {
                    total += seconds;
                    break;
                }
            }
        }

        return total;
    }
}
