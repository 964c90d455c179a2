using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Reflection;
using Fleet502.Agent.Configuration;
using Fleet502.Protos.V1;

namespace Fleet502.Agent.Shipping;

/// <summary>Who this agent is, as told to the collector in Hello.</summary>
public static class AgentIdentity
{
    public static Hello CreateHello(AgentOptions options)
    {
        var hostname = string.IsNullOrWhiteSpace(options.Hostname) ? Environment.MachineName : options.Hostname;
        var hello = new Hello
        {
            AgentId = string.IsNullOrWhiteSpace(options.AgentId) ? hostname : options.AgentId,
            Hostname = hostname,
            Version = typeof(AgentIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0",
        };
        hello.Roles.Add(options.Roles);
        hello.Addresses.Add(HostAddresses());
        return hello;
    }

    // Non-loopback unicast addresses: what another host's proxy_pass would name.
    private static IEnumerable<string> HostAddresses()
    {
        NetworkInterface[] interfaces;
        try
        {
            interfaces = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            return [];
        }

        return interfaces
            .Where(i => i.OperationalStatus != OperationalStatus.Down && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && !a.IsIPv6LinkLocal)
            .Select(a => a.ToString())
            .Distinct()
            .ToList();
    }
}
