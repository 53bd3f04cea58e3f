"""kodegen.gates"""
