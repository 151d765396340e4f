namespace Gateway.Config.Nginx;

/// <summary>
/// <c>access_log PATH [FORMAT]</c> with <c>log_format</c> (nginx's <c>combined</c> by default): one line per request,
/// formatted when the response is complete and handed to the gateway's one access-log engine
/// (<see cref="AccessLog.AccessLogWriter"/>: a bounded queue, a writer thread, SIGUSR1 reopens). As in nginx, an empty
/// value logs as "-", and '"', '\' and bytes outside printable ASCII in variable values are written as \xHH.
/// </summary>
public sealed record NginxAccessLog(string Path, NginxTemplate Format)
{
    public const string Combined = "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

    /// <summary>nginx's default when no access_log is given: <c>logs/access.log</c> under the prefix, combined.</summary>
    public static NginxAccessLog Default(string prefix, NginxDirective at) =>
        new(System.IO.Path.GetFullPath(System.IO.Path.Combine(prefix, "logs", "access.log")), NginxTemplate.Parse(Combined, at));

    internal void Write(NginxRequestState state, AccessLog.AccessLogWriter writer) =>
        writer.TryWrite(Path, Format.Evaluate(state, AccessLog.AccessLogLine.Escape));
}
