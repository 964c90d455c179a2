using Fleet502.Protos.V1;

namespace Fleet502.Tests.Diagnosis.Rules;

/// <summary>ProxyConfig as the agent extracts it from nginx -T.</summary>
internal static class ConfigFixtures
{
    public static ProxyConfig Route(string module, string target, string? upstream = null, string server = "shop.example.com",
        IDictionary<string, string>? buffers = null, IDictionary<string, uint>? timeouts = null)
    {
        var route = new ProxyRoute { Module = module, Target = target, Upstream = upstream ?? "", Location = "location /", File = "/etc/nginx/sites-enabled/shop", Line = 12 };
        route.ServerNames.Add(server);
        if (buffers is not null)
        {
            route.Buffers.Add(buffers);
        }

        if (timeouts is not null)
        {
            route.TimeoutsMs.Add(timeouts);
        }

        var config = new ProxyConfig();
        config.Routes.Add(route);
        return config;
    }

    public static ProxyConfig WithGroup(this ProxyConfig config, string name, params string[] servers)
    {
        var block = new UpstreamBlock { Name = name, File = "/etc/nginx/conf.d/upstreams.conf", Line = 1 };
        block.Servers.AddRange(servers.Select(s => new UpstreamServer { Address = s, MaxFails = 1, FailTimeoutS = 10, Weight = 1 }));
        config.Upstreams.Add(block);
        return config;
    }
}
