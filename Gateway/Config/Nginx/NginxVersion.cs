namespace Gateway.Config.Nginx;

/// <summary>The nginx release whose behaviour the translation follows (what the differential tests run against).</summary>
public static class NginxVersion
{
    public const string Follows = "1.22.1";
}
