using System.Globalization;

namespace Gateway.Config.Nginx;

/// <summary>
/// <c>limit_req</c> / <c>limit_conn</c> and their settings in force at a level, merged as nginx merges them: the
/// directive lists are inherited only by a level that has none of its own; the status and log levels like any value.
/// </summary>
public sealed record NginxLimits
{
    public static readonly NginxLimits None = new();

    public IReadOnlyList<NginxLimitReq> Requests { get; init; } = [];

    public IReadOnlyList<NginxLimitConn> Connections { get; init; } = [];

    public int RequestStatus { get; init; } = 503;

    public int ConnectionStatus { get; init; } = 503;

    public string RequestLogLevel { get; init; } = "error";

    public string ConnectionLogLevel { get; init; } = "error";

    public NginxLimits With(IEnumerable<NginxDirective> block)
    {
        var limits = this;
        var requests = new List<NginxLimitReq>();
        var connections = new List<NginxLimitConn>();
        foreach (var d in block)
        {
            switch (d.Name)
            {
                case "limit_req":
                    var request = NginxLimitReq.Read(d);
                    requests.Add(requests.Any(r => r.Zone == request.Zone) ? throw NginxConfigException.At(d, "\"limit_req\" directive is duplicate") : request);
                    break;
                case "limit_conn":
                    if (connections.Any(c => c.Zone == d.Args[0]))
                    {
                        throw NginxConfigException.At(d, "\"limit_conn\" directive is duplicate");
                    }

                    connections.Add(new NginxLimitConn(d.Args[0],
                        int.TryParse(d.Args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= 65535 ? n
                            : throw NginxConfigException.At(d, $"invalid number of connections \"{d.Args[1]}\""), d));
                    break;
                case "limit_req_status":
                    limits = limits with { RequestStatus = Status(d) };
                    break;
                case "limit_conn_status":
                    limits = limits with { ConnectionStatus = Status(d) };
                    break;
                case "limit_req_log_level":
                    limits = limits with { RequestLogLevel = LogLevel(d) };
                    break;
                case "limit_conn_log_level":
                    limits = limits with { ConnectionLogLevel = LogLevel(d) };
                    break;
            }
        }

        return limits with
        {
            Requests = requests.Count > 0 ? requests : limits.Requests,
            Connections = connections.Count > 0 ? connections : limits.Connections,
        };
    }

    private static int Status(NginxDirective d) =>
        int.TryParse(d.Args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 400 and <= 599 ? status
            : throw NginxConfigException.At(d, "value must be between 400 and 599");

    private static string LogLevel(NginxDirective d) => d.Args[0] is "info" or "notice" or "warn" or "error" ? d.Args[0]
        : throw NginxConfigException.At(d, $"invalid value \"{d.Args[0]}\"");
}
