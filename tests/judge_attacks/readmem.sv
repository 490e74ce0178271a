// expect: forbidden
module TopModule(input [3:0] a, output [3:0] y); reg [3:0] m [0:15]; assign y = m[a]; initial $readmemh("sim.vvp", m); endmodule
