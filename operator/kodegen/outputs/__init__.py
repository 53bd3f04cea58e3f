"""kodegen.outputs"""
