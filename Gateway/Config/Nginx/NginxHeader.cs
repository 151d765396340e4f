namespace Gateway.Config.Nginx;

/// <summary>A <c>proxy_set_header</c> or <c>add_header</c>: a name and a value with variables.</summary>
public sealed record NginxHeader(string Name, NginxTemplate Value, bool Always = false);
