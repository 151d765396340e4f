namespace Gateway.Config.Nginx;

/// <summary>Where a directive may appear (nginx's NGX_*_CONF flags).</summary>
[Flags]
public enum NginxContext
{
    None = 0,
    Main = 1,
    Events = 2,
    Http = 4,
    Server = 8,
    Location = 16,
    Upstream = 32,
    ServerIf = 64,
    LocationIf = 128,
    Types = 256,
    HttpAny = Http | Server | Location,
}
