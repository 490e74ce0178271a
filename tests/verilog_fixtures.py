"""Small trusted Verilog shared by several test files: a 4-bit inverter reference and its VerilogEval-style bench."""

INVERTER_REF = "module RefModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule\n"
INVERTER_TB = """module tb;
  reg [3:0] a; wire [3:0] y, y_ref; integer i, errors = 0;
  TopModule dut(.a(a), .y(y)); RefModule ref0(.a(a), .y(y_ref));
  initial begin
    for (i = 0; i < 16; i = i + 1) begin a = i; #1; if (y !== y_ref) errors = errors + 1; end
    $display("Mismatches: %0d in %0d samples", errors, 16); $finish;
  end
endmodule
"""
