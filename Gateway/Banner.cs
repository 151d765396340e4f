using System.Text;

namespace Gateway;

/// <summary>What a new user needs on start: where to send requests, where to look, and what is running.</summary>
internal static class Banner
{
    public static string Text(GatewayHost host, string? configPath)
    {
        var proxy = host.ProxyUrls.Count > 0 ? host.ProxyUrls[0] : "?";
        var admin = host.AdminUrls.Count > 0 ? host.AdminUrls[0] : "?";
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("LbProxy is up");
        text.AppendLine($"  proxy   {string.Join(", ", host.ProxyUrls)}");
        if (host.H2cUrls.Count > 0)
        {
            text.AppendLine($"  h2c     {string.Join(", ", host.H2cUrls)}  (cleartext HTTP/2: gRPC clients)");
        }
        text.AppendLine($"  admin   {admin}/ (status page)  {admin}/status  {admin}/metrics");
        text.AppendLine($"  config  {configPath ?? "(embedded default: every path -> local fleet, Adaptive policy)"}");
        if (host.Fleet is { } fleet)
        {
            text.AppendLine($"  fleet   {fleet.Workers.Count} ModelWorker(s), desired {fleet.Desired}");
            foreach (var w in fleet.Workers)
            {
                text.AppendLine($"          {w.Id,-10} pid {w.Pid,-7} port {w.Port,-6} device {w.Device,-5} {w.State}");
            }
        }

        text.AppendLine("  try:");
        text.AppendLine($"    curl -s -X POST {proxy}/predict -H 'content-type: application/json' -d '{{\"features\":[5.1,3.5,1.4,0.2]}}'");
        text.AppendLine("  Ctrl-C stops the gateway and every worker.");
        return text.ToString();
    }
}
