namespace Gateway.Config.Nginx;

/// <summary>One <c>limit_conn ZONE N</c>: at most N requests of a key in progress at once (nginx counts connections whose request is being processed).</summary>
public sealed record NginxLimitConn(string Zone, int Limit, NginxDirective Directive);
