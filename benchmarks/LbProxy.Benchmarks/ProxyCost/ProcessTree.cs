namespace Benchmarks.ProxyCost;

/// <summary>CPU time of a process and its descendants from /proc (nginx and HAProxy work in child processes).</summary>
internal static class ProcessTree
{
    private static readonly double s_ticksPerSecond = 100; // USER_HZ on Linux

    public static double CpuSeconds(int root)
    {
        var all = Local.ProcStat.All();
        var parents = all.ToDictionary(p => p.Pid, p => p.Parent);
        var cpu = all.ToDictionary(p => p.Pid, p => (p.UserTicks + p.SystemTicks) / s_ticksPerSecond);

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
