using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Gateway.Config.Nginx;

/// <summary>
/// <c>access_log PATH [FORMAT]</c> with <c>log_format</c> (nginx's <c>combined</c> by default): one line per request,
/// written when the response is complete. As in nginx, an empty value logs as "-", and '"', '\' and bytes outside
/// printable ASCII in variable values are written as \xHH. Files are opened once and shared, appended, flushed per line.
/// </summary>
public sealed record NginxAccessLog(string Path, NginxTemplate Format)
{
    public const string Combined = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

    private static readonly ConcurrentDictionary<string, StreamWriter> s_files = new(StringComparer.Ordinal);

    public void Write(NginxRequestState state)
    {
        var line = Format.Evaluate(state, Escape) + "\n";
        var writer = s_files.GetOrAdd(Path, static path =>
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            return new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        });
        lock (writer)
        {
            writer.Write(line);
        }
    }

    private static string Escape(string value)
    {
        if (value.Length == 0)
        {
            return "-";
        }

        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b < 0x20 || b >= 0x7f || b is (byte)'"' or (byte)'\\')
            {
                sb.Append("\\x").Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append((char)b);
            }
        }

        return sb.ToString();
    }
}
