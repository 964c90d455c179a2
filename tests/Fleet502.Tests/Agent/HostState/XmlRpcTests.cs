using Fleet502.Agent.Sources.Supervisors.Supervisord;

namespace Fleet502.Tests.Agent.HostState;

public class XmlRpcTests
{
    [Fact]
    public void A_fault_response_throws_with_its_code_and_text()
    {
        const string body = """
            <?xml version='1.0'?>
            <methodResponse><fault><value><struct>
            <member><name>faultCode</name><value><int>10</int></value></member>
            <member><name>faultString</name><value><string>BAD_NAME: nope</string></value></member>
            </struct></value></fault></methodResponse>
            """;

        var fault = Assert.Throws<XmlRpcFaultException>(() => XmlRpc.ParseResponse(body));

        Assert.Equal(10, fault.Code);
        Assert.Contains("BAD_NAME", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Requests_escape_string_parameters()
    {
        var xml = XmlRpc.Request("supervisor.stopProcess", "a<b&c", true);

        Assert.Contains("<string>a&lt;b&amp;c</string>", xml, StringComparison.Ordinal);
        Assert.Contains("<boolean>1</boolean>", xml, StringComparison.Ordinal);
    }
}
