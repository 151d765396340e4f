namespace Gateway.Admin.Guard;

/// <summary>Checks <c>LbProxy.Admin</c>.</summary>
internal static class AdminGuardRules
{
    public static void Validate(AdminGuardOptions? options, string path, Action<string, string, string> report)
    {
        if (options?.Token is { } token && token.Trim().Length < AdminGuardOptions.MinimumTokenLength)
        {
            report(path + ":Token", $"LbProxy.Admin.Token has {token.Trim().Length} characters; an admin token needs at least {AdminGuardOptions.MinimumTokenLength}.",
                "use a random one, e.g. the output of `openssl rand -hex 32`, preferably in the LBPROXY_ADMIN_TOKEN environment variable.");
        }
    }
}
