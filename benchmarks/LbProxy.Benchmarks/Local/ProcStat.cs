using System.Globalization;

namespace Benchmarks.Local;

/// <summary>One process's /proc/PID/stat: its pid, state, parent, CPU ticks, and the folder to read more from.</summary>
public sealed record ProcStat(int Pid, string Folder, char State, int Parent, long UserTicks, long SystemTicks)
{
    /// <summary>Every process's stat now; a process that ends while being read is left out.</summary>
    public static List<ProcStat> All()
    {
        var all = new List<ProcStat>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                // The command name in parentheses may hold spaces: the fields start after its closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                all.Add(new ProcStat(pid, dir, fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture),
                    long.Parse(fields[11], CultureInfo.InvariantCulture), long.Parse(fields[12], CultureInfo.InvariantCulture)));
            }
            catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
            {
                // the process ended while being read
            }
        }

        return all;
    }
}
